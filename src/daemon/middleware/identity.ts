/**
 * Who is calling, from the verified client certificate only. grpc-js knows the TLS peer but
 * nice-grpc's call context does not expose it, so this grpc-js interceptor copies the verified
 * certificate's OU and CN into request metadata under reserved keys — after deleting whatever a
 * client sent under those keys, so they cannot be forged.
 */
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';

/** Metadata key carrying the role (certificate OU, lower-case) — set only by this interceptor. */
export const ROLE_KEY = 'x-joblet-verified-role';
/** Metadata key carrying the certificate CN — set only by this interceptor. */
export const NAME_KEY = 'x-joblet-verified-name';

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
            const ou = firstValue(cert.subject?.OU);
            const cn = firstValue(cert.subject?.CN);
            if (ou) metadata.set(ROLE_KEY, ou.toLowerCase());
            if (cn) metadata.set(NAME_KEY, cn);
          }
          mdNext(metadata);
        },
      }),
  });

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
