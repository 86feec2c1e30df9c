import { ClientMetadataError } from '../../src/client-metadata/client-metadata-resolver.js';

/** The ClientMetadataError a promise must reject with (anything else, or no rejection, fails the test). */
export async function refusal(promise: Promise<unknown>): Promise<ClientMetadataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClientMetadataError) return error;
    throw error;
  }
  throw new Error('expected a ClientMetadataError');
}
