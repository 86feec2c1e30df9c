// The smallest valid media the content tools return: a 1x1 red PNG and a 44-byte WAV header with no samples.
// Conformance checks only the MIME type and that `data` is base64.
export const RED_PIXEL_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';
export const EMPTY_WAV_BASE64 = Buffer.concat([
  Buffer.from('RIFF', 'ascii'),
  Buffer.from([36, 0, 0, 0]),
  Buffer.from('WAVEfmt ', 'ascii'),
  Buffer.from([16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]),
  Buffer.from('data', 'ascii'),
  Buffer.from([0, 0, 0, 0]),
]).toString('base64');
