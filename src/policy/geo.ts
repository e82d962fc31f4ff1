/** Great-circle distance in metres (haversine; plenty for geofences of metres to kilometres). */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const R = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Point in polygon by ray casting over [lat, lon] corners (zones are small: a plane is fine). */
export function insidePolygon(
  p: { lat: number; lon: number },
  points: readonly (readonly [number, number])[],
): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [yi, xi] = points[i]!;
    const [yj, xj] = points[j]!;
    if (yi > p.lat !== yj > p.lat && p.lon < ((xj - xi) * (p.lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A lat/lon box around a circle, for an indexable SQL prefilter. */
export function boundingBox(c: { lat: number; lon: number; radiusM: number }): {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
} {
  const dLat = c.radiusM / 111_320;
  const dLon = c.radiusM / (111_320 * Math.max(0.01, Math.cos((c.lat * Math.PI) / 180)));
  return { minLat: c.lat - dLat, maxLat: c.lat + dLat, minLon: c.lon - dLon, maxLon: c.lon + dLon };
}
