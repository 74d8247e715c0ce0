/**
 * Who is calling, from the verified client certificate only. grpc-js knows the TLS peer but
 * nice-grpc's call context does not expose it, so this grpc-js interceptor copies the verified
 * certificate's OU and CN into request metadata under reserved keys — after deleting whatever a
 * client sent under those keys, so they cannot be forged.
 */
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';

/** Metadata key carrying the role (the certificate's one OU, lower-case) — set only by this interceptor. */
export const ROLE_KEY = 'x-joblet-verified-role';
/** Metadata key carrying the certificate CN; set only by this interceptor, and always when a certificate was verified. */
export const NAME_KEY = 'x-joblet-verified-name';
/** NAME_KEY value for a verified certificate that has no CN. */
export const NO_NAME = '(no CN)';

/** The grpc-js interceptor that stamps the verified identity onto every call. */
export const identityInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMetadata: (metadata, mdNext) => {
          metadata.remove(ROLE_KEY);
          metadata.remove(NAME_KEY);
          // Empty unless the TLS layer verified the certificate against our CA.
          const cert = call.getAuthContext().sslPeerCertificate;
          if (cert) {
            // Two different OUs would let one certificate claim two roles: that is no role at all
            // (the same rule as roleFromCertificate in shared/certs.ts).
            const ous = [...new Set(values(cert.subject?.OU).map((ou) => headerSafe(ou.toLowerCase())))];
            if (ous.length === 1 && ous[0]) metadata.set(ROLE_KEY, ous[0]);
            metadata.set(NAME_KEY, headerSafe(values(cert.subject?.CN)[0] ?? '') || NO_NAME);
          }
          mdNext(metadata);
        },
      }),
  });

function values(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * grpc-js throws on metadata values outside printable ASCII — inside this callback that is an
 * uncaught exception that takes the daemon down — so a UTF-8 CN or OU is shown with '?' instead.
 */
function headerSafe(s: string): string {
  return s.replace(/[^ -~]/g, '?');
}
