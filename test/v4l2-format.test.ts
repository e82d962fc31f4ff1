import { describe, expect, it } from 'vitest';
import { parseV4l2Format } from '../src/provision/camera-size.js';

// What `v4l2-ctl -d /dev/video0 --get-fmt-video` (v4l-utils 1.22) prints for a UVC camera. There
// is no USB camera on the test machine, so provision's reading of it is checked here, on its text.
const UVC_ANSWER = `Format Video Capture:
\tWidth/Height      : 1920/1080
\tPixel Format      : 'MJPG' (Motion-JPEG)
\tField             : None
\tBytes per Line    : 0
\tSize Image        : 4147200
\tColorspace        : sRGB
\tTransfer Function : Default (maps to sRGB)
\tYCbCr/HSV Encoding: Default (maps to ITU-R 601)
\tQuantization      : Default (maps to Full Range)
\tFlags             :
`;

describe("provision reads a USB camera's frame size from v4l2-ctl", () => {
  it('takes the camera’s current width and height', () => {
    expect(parseV4l2Format(UVC_ANSWER)).toEqual({ width: 1920, height: 1080 });
  });

  it('reports an answer without a size instead of guessing one', () => {
    expect(parseV4l2Format('VIDIOC_G_FMT: failed: Inappropriate ioctl for device\n')).toEqual({
      problem: 'v4l2-ctl gave no Width/Height',
    });
  });
});
