import fc from 'fast-check';

/**
 * Generators for the hostile-input properties: valid-looking values, the same values mutated with one hostile
 * piece, and freely hostile strings, mixed so that a good share of the cases still renders.
 */

/** Pieces that break line structure, comments, expansion, lists, grouping, trimming or encoding, by group. */
export const HOSTILE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  lineBreaks: ['\n', '\r', '\r\n', '\n ', '\n\t', '\nmyhostname = evil.example', '\n# x', '\n-o smtpd_tls_security_level=none'],
  controls: ['\u0000', '\t', '\u000b', '\u000c', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029'],
  unicodeSpaceAndFormat: ['\u00a0', '\ufeff', '\u200b', '\u202e', '\u3000'],
  comment: ['#', '# x', '#!'],
  assignment: ['=', ' = ', '=='],
  expansion: ['$', '$myhostname', '${myhostname}', '$(myhostname)', '$$', '${x?{y}}', '$x'],
  braces: ['{', '}', '{ x }', '}{', '{}'],
  listSeparators: [',', ', ', ' ', '  ', '\t', ' reject', ' -o smtpd_tls_security_level=none '],
  punctuation: [':', '/', '..', '/../', '[', ']', '[::1]', '%', '%eth0', '\\', '"', "'", ';', '!', '*', '@', '<', '>', '|', '-', '_', '.'],
  nonAscii: ['é', 'ß', 'İ', 'ǅ', 'ﬀ', '😀', '👩‍💻', '中文', 'а', '\u0301'],
  loneSurrogates: ['\ud800', '\udfff', '\udc00\ud800'],
};

export const HOSTILE_PIECES: readonly string[] = Object.values(HOSTILE_GROUPS).flat();

/** A hostile piece, each group equally likely (so `$` is as frequent as a line break). */
export const hostilePiece: fc.Arbitrary<string> = fc.oneof(...Object.values(HOSTILE_GROUPS).map((group) => fc.constantFrom(...group)));

const SAFE_UNITS = ['a', 'b', 'Z', 'q', '0', '7', '9', '.', '-', '_', '/', ':'];

/** Strings of hostile pieces and plain characters, any Unicode, any Latin-1 control, long runs, empty. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: fc.oneof(hostilePiece, fc.constantFrom(...SAFE_UNITS)), maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', 'é', '😀', '/a', 'x,', 'ab-', 'A:'), fc.integer({ min: 500, max: 10000 }), fc.constantFrom('', '\n', '#', ' ', '$'))
      .map(([unit, length, tail]) => unit.repeat(Math.max(1, Math.floor(length / unit.length))) + tail),
  },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '#', '$', '{}', '\n', '-', '.', '..', '/') },
);

type Mutation = 'insert' | 'replace' | 'prefix' | 'suffix' | 'wrap' | 'long';

/** A valid value with one hostile piece inserted, substituted, prepended, appended, or made very long. */
export function mutated(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.nat(), hostilePiece, fc.constantFrom<Mutation>('insert', 'replace', 'prefix', 'suffix', 'wrap', 'long'))
    .map(([value, position, piece, how]) => {
      const i = value.length === 0 ? 0 : position % (value.length + 1);
      switch (how) {
        case 'insert':
          return value.slice(0, i) + piece + value.slice(i);
        case 'replace':
          return value.slice(0, i) + piece + value.slice(i + 1);
        case 'prefix':
          return piece + value;
        case 'suffix':
          return value + piece;
        case 'wrap':
          return piece + value + piece;
        case 'long':
          return value + 'x'.repeat(2000 + (position % 8000));
      }
    });
}

/** Roughly 40% valid, 40% mutated valid, 20% freely hostile. */
export function withHostile(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 4, arbitrary: mutated(valid) }, { weight: 2, arbitrary: hostileText });
}

/** A list of values from `item`, sometimes empty. */
export function listOf<T>(item: fc.Arbitrary<T>, maxLength = 3): fc.Arbitrary<T[]> {
  return fc.array(item, { minLength: 0, maxLength });
}

/** A list of valid items (possibly empty), or valid items with one `withHostile` item among them. */
export function listWithHostile<T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.array(valid, { maxLength: 3 }) },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.array(valid, { maxLength: 2 }), hostile, fc.nat()).map(([items, odd, at]) => {
        const i = at % (items.length + 1);
        return [...items.slice(0, i), odd, ...items.slice(i)];
      }),
    },
  );
}

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);

/** Host names as users write them: fast-check domains, short ones, mixed case. */
export const validHostname: fc.Arbitrary<string> = fc.oneof(
  fc.domain(),
  fc.tuple(label, label, fc.constantFrom('com', 'org', 'example', 'de')).map((parts) => parts.join('.')),
  fc.constantFrom('mx.example.com', 'MX.Example.COM', 'mail.example.org', 'smtp-1.example.net', 'localhost.localdomain'),
);

export const validIpV6: fc.Arbitrary<string> = fc.oneof(fc.ipV6(), fc.constantFrom('::1', '::', '2001:db8::25', 'fe80::1', '::ffff:192.0.2.1'));

/** Addresses to listen on: IPv4, IPv6, host names. */
export const validListenAddress: fc.Arbitrary<string> = fc.oneof(fc.ipV4(), validIpV6, validHostname, fc.constantFrom('127.0.0.1', '0.0.0.0', 'localhost.example'));

/** Networks as users write them for mynetworks (some with host bits set, as typed by hand). */
export const validNetwork: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('127.0.0.0/8', '192.0.2.0/24', '10.0.0.0/8', '[::1]/128', '[2001:db8::]/32', '198.51.100.7', '[::1]'),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(validIpV6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `[${a}]/${p}`),
  fc.ipV4(),
);

const pathSegment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((s) => s !== '.' && s !== '..');

/** Absolute paths. */
export const validAbsolutePath: fc.Arbitrary<string> = fc.oneof(
  fc.array(pathSegment, { minLength: 1, maxLength: 5 }).map((segments) => `/${segments.join('/')}`),
  fc.constantFrom('/dev/stdout', '/var/log/mail.log', '/var/lib/postfix/smtpd_scache', '/var/lib/postfix/smtpd_scache.lmdb'),
);

/** Relative paths and dovecot socket forms. */
export const validSaslPath: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('private/auth', 'private/dovecot-auth', 'inet:127.0.0.1:12345', '/var/spool/postfix/private/auth', 'smtpd', 'smtpd-submission'),
  fc.array(pathSegment, { minLength: 1, maxLength: 3 }).map((segments) => segments.join('/')),
);

const hexPair = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, '0'));

/** SHA-256 fingerprints (the default fingerprintDigest; other lengths are refused), in either case. */
export const validFingerprint: fc.Arbitrary<string> = fc
  .tuple(fc.array(hexPair, { minLength: 32, maxLength: 32 }), fc.boolean())
  .map(([pairs, upper]) => {
    const text = pairs.join(':');
    return upper ? text.toUpperCase() : text;
  });

/** OpenSSL cipher names and aliases. */
export const validCipher: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('aNULL', 'eNULL', 'MD5', 'kRSA', '3DES', 'RC4', 'SEED', 'IDEA', 'CAMELLIA', 'DES-CBC3-SHA', 'ECDHE-RSA-AES128-SHA', 'SHA1', 'aDSS'),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,20}$/),
);

/** Client names as they would be noted in relay_clientcerts. */
export const validClientName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('lutzpc', 'Lutz PC', 'backup-relay.example.com', 'client 42', 'ops@example.com'),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,30}[A-Za-z0-9]$/),
);

/** access(5) actions. */
export const validAccessAction: fc.Arbitrary<string> = fc.constantFrom(
  'OK', 'PERMIT', 'DUNNO', 'REJECT', 'REJECT not welcome', '550 5.7.1 go away', 'DEFER try later', 'HOLD', 'WARN odd client', 'FILTER smtp:[127.0.0.1]:10025',
);

/** Words that make good values of the lib-level list helpers. */
export const validWord: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:\/=@+-]{0,20}$/),
  fc.constantFrom('yes', 'no', 'reject_unauth_destination', 'hash:/etc/postfix/x', '10240000', 'a=b', 'x#y'),
);

/** Free text that is not a single word: values with spaces and punctuation. */
export const validText: fc.Arbitrary<string> = fc.oneof(
  validWord,
  fc.constantFrom('$myhostname ESMTP', 'reject_unknown_sender_domain, permit', 'a b c', '550 5.7.1 go away', 'x # y', '#not a comment', 'é ü 😀'),
  fc.stringMatching(/^[A-Za-z0-9][ -~]{0,40}[A-Za-z0-9]$/),
);

/** Identifiers shaped like Postfix parameter names. */
export const validParameterName: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_]{0,30}$/),
  fc.constantFrom(
    'smtpd_banner', 'message_size_limit', 'smtpd_helo_required', 'disable_vrfy_command', 'notify_classes', 'smtpd_client_restrictions',
    'mynetworks_style', 'myorigin', 'recipient_delimiter', 'smtpd_tls_loglevle', 'alias_maps', 'smtpd_sasl_type', 'compatibility_level',
    'smtpd_tls_wrappermode', 'smtpd_use_tls', 'myhostname', 'Smtpd_banner', 'x',
  ),
);
