import fastJsonPatch, { type Operation as JsonPatchOperation } from 'fast-json-patch';
import { errors, StatusError } from '../api/status.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { applyStrategicMergePatch, PatchError } from '../patch/strategic.ts';

/** What a patch is applied to, as errors name it. */
export interface PatchTarget {
  group: string;
  kind: string;
  name: string;
}

/**
 * Decodes a JSON, merge or strategic merge patch and applies it to a copy of `current`
 * (handlers/patch.go): a body that is not JSON is 400 "error decoding patch", a patch that
 * cannot apply is 400 or 422 with kube's texts. Server-side apply has its own path.
 */
export function applyPatch(type: string, body: string, current: unknown, target: PatchTarget): unknown {
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (error) {
    throw errors.badRequest(`error decoding patch: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    if (type === 'application/json-patch+json') {
      if (!Array.isArray(patch))
        throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      return fastJsonPatch.applyPatch(structuredClone(current), patch as JsonPatchOperation[], true, false).newDocument;
    }
    if (type === 'application/merge-patch+json') return applyMergePatch(current, patch);
    return applyStrategicMergePatch(current, patch);
  } catch (error) {
    if (error instanceof StatusError) throw error;
    if (error instanceof PatchError) throw errors.badRequest(error.message);
    const status = errors.invalid(target.group, target.kind, target.name, []).status;
    status.message = `the server rejected our request due to an error in our request: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    throw new StatusError(status);
  }
}
