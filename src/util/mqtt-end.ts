import type { MqttClient } from 'mqtt';

/**
 * End an MQTT client: cleanly (in-flight QoS 1 messages acknowledged, then DISCONNECT) if that
 * finishes within `graceMs`, else by closing its socket. mqtt.js's clean end never finishes while
 * the broker is hung (its socket stays open, nothing answers) or gone with a QoS 1 publish
 * unacknowledged; and `end(true)` does nothing once a clean end is pending, so the socket is
 * destroyed here directly.
 */
export async function endMqttClient(client: MqttClient, graceMs = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    new Promise<boolean>((resolve) => client.end(false, {}, () => resolve(true))),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (!ended) client.stream?.destroy();
}
