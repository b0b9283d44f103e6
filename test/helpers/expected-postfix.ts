// What the tests expect the library to render, written independently of lib/ (an oracle, not a copy).

/** Upstream's and Debian's submission overrides: the MX's checks do not apply to authenticated users. */
export const MUA_OVERRIDES: readonly [string, string][] = [
  ['smtpd_reject_unlisted_recipient', 'no'],
  ['smtpd_client_restrictions', ''],
  ['smtpd_helo_restrictions', ''],
  ['smtpd_sender_restrictions', ''],
  ['smtpd_recipient_restrictions', ''],
  ['milter_macro_daemon_name', 'ORIGINATING'],
];

/** OpenSSL properties the intermediate profile excludes where TLS is mandatory (Mozilla's six TLS 1.2 suites remain). */
export const INTERMEDIATE_EXCLUSIONS: readonly string[] = ['aNULL', 'kRSA', 'kDHE', 'PSK', 'SHA1', 'SHA256', 'SHA384', 'CAMELLIA', 'ARIA', 'AESCCM'];
