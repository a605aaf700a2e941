/** An evaluation error raised by a library function, shown as cel-go shows it. */
export class CelLibraryError extends Error {}

export function celError(message: string): CelLibraryError {
  return new CelLibraryError(message);
}
