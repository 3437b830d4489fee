/**
 * British National Grid (EPSG:27700, OSGB36 on the Airy 1830 ellipsoid) → WGS84 latitude/longitude.
 *
 * Uses proj4 with the Ordnance Survey's published 7-parameter Helmert transformation (+towgs84)
 * rather than the OSTN15 grid, so it needs no 15 MB grid file. The OS states this transformation
 * is good to about 5 metres across Great Britain (worse on the edges, e.g. Shetland); our tests
 * check ±5 m against OS reference points. That is ample for showing a reported pothole on a map,
 * and latitude/longitude are rounded to 6 decimal places (~0.1 m) so no false precision leaks out.
 */
import proj4 from 'proj4';

export const EPSG_27700 =
  '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy ' +
  '+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs';

const converter = proj4(EPSG_27700, 'WGS84');

/** The grid's extent (the OS 100 km squares cover 0–700 km east, 0–1300 km north). */
export function isOnGrid(easting: number, northing: number): boolean {
  return easting >= 0 && easting <= 700_000 && northing >= 0 && northing <= 1_300_000;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function bngToWgs84(easting: number, northing: number): { latitude: number; longitude: number } {
  const [longitude, latitude] = converter.forward([easting, northing]) as [number, number];
  return { latitude: round6(latitude), longitude: round6(longitude) };
}
