/**
 * Why a connection to the broker failed, as /healthz shows it: out of coverage (a refused or timed
 * out connection) looks like nothing a technician can fix, but a certificate or password the broker
 * or the unit refuses does not heal by driving on. `check` names the config key for those.
 */
export interface LinkFailure {
  message: string;
  /** Node's TLS or socket code (e.g. SELF_SIGNED_CERT_IN_CHAIN), or the broker's CONNACK code. */
  code: string | null;
  /** The setting to check, when the failure is the unit's configuration; null when it is not. */
  check: string | null;
}

/** The broker's certificate does not chain to the pinned CA. */
const UNTRUSTED_BROKER = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);
/** CONNACK: bad user name or password, not authorised (MQTT 3.1.1: 4, 5; MQTT 5: 0x86, 0x87). */
const REFUSED_LOGIN = new Set(['4', '5', '134', '135']);

export function describeLinkError(err: Error): LinkFailure {
  const raw = (err as { code?: unknown }).code;
  const code = raw === undefined || raw === null ? null : String(raw);
  return { message: err.message, code, check: configToCheck(code, err.message) };
}

function configToCheck(code: string | null, message: string): string | null {
  if (code && UNTRUSTED_BROKER.has(code)) return 'sync.ca (the broker certificate does not chain to it)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return 'sync.brokerUrl (its host is not named in the broker certificate)';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return "the broker certificate's dates and the unit's clock";
  // The broker's TLS alert: it does not accept the unit's client certificate.
  if (
    /alert (unknown ca|bad certificate|certificate required|certificate expired|certificate revoked)/i.test(
      message,
    )
  )
    return 'sync.cert and sync.key (the broker refused the client certificate)';
  if (code && REFUSED_LOGIN.has(code)) return 'sync.username and sync.password (the broker refused them)';
  return null;
}
