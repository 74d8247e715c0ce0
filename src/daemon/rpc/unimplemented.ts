/**
 * RPCs of the public API that a later release builds. They answer UNIMPLEMENTED with a message
 * that says so — nothing pretends to work.
 */
import { UnimplementedError } from '../../shared/errors';

/** Features and the RPCs that belong to them. */
const LATER: Record<string, string[]> = {
  'job telematics': ['StreamJobTelematics', 'GetJobTelematics'],
};

/** A handler that refuses, naming the feature. Works for unary and streaming RPCs alike. */
export function notYet(method: string): () => never {
  const feature = Object.entries(LATER).find(([, methods]) => methods.includes(method))?.[0] ?? method;
  return () => {
    throw new UnimplementedError(`${method} is not available yet: this joblet server does not implement ${feature}`);
  };
}

/** Every RPC answered by notYet, for building service implementations. */
export function unimplementedMethods(methods: string[]): Record<string, () => never> {
  const out: Record<string, () => never> = {};
  for (const m of methods) out[m.charAt(0).toLowerCase() + m.slice(1)] = notYet(m);
  return out;
}
