import type { MqttClient } from 'mqtt';
import { settlesWithin } from './settles-within.js';

/**
 * End an MQTT client: cleanly (in-flight QoS 1 messages acknowledged, then DISCONNECT) if that
 * finishes within `graceMs`, else by closing its socket. mqtt.js's clean end never finishes while
 * the broker is hung (its socket stays open, nothing answers) or gone with a QoS 1 publish
 * unacknowledged; and `end(true)` does nothing once a clean end is pending, so the socket is
 * destroyed here directly.
 */
export async function endMqttClient(client: MqttClient, graceMs = 3000): Promise<void> {
  const ended = new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  if (!(await settlesWithin(ended, graceMs))) client.stream?.destroy();
}
