/** A GPS fix as attached to a read (the gps module produces these). */
export interface GpsFix {
  lat: number;
  lon: number;
  /** UTC ms when the receiver took the fix. */
  time: number;
  mode: 2 | 3;
  hdop?: number;
  satellites?: number;
  speedMps?: number;
  headingDeg?: number;
  altM?: number;
}

export interface Candidate {
  plate: string;
  confidence: number;
}

/** One vehicle's plate as the tracker decided it: what the store keeps and sync sends. */
export interface Read {
  id: string;
  unitId: string;
  cameraId: string;
  /** UTC ms of the best observation. */
  ts: number;
  firstSeen: number;
  lastSeen: number;
  plate: string;
  state: string | null;
  stateConfidence: number | null;
  confidence: number;
  charConfidences: number[];
  candidates: Candidate[];
  frames: number;
  box: [number, number, number, number];
  gps: GpsFix | null;
  gpsFixAgeMs: number | null;
  flags: string[];
}

export interface ReadImages {
  /** JPEG of the plate with its margin. */
  crop: Buffer | null;
  /** JPEG of the whole frame. */
  overview: Buffer | null;
}

export interface StoredRead extends Read {
  seq: number;
  cropPath: string | null;
  overviewPath: string | null;
}
