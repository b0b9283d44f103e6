/** Docker and file-system names that collide: Unicode compatibility forms (K and the Kelvin sign) and case ignored. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}
