import { renderServer } from '../../lib/render-server';
import { senderLoginEntries } from '../../lib/sender-logins';
import { baselineSpec } from './baseline-spec';

describe('senderLoginEntries', () => {
  test('inverts login -> addresses into address -> logins, lower-cased and sorted', () => {
    expect(senderLoginEntries('senderLogins', { Alice: ['Alice@Example.COM', '@Example.org'], bob: ['alice@example.com'] })).toEqual([
      { key: '@example.org', value: 'Alice' },
      { key: 'alice@example.com', value: 'Alice,bob' },
    ]);
  });

  test.each([
    ['a map, not an array', ['alice'], /must map each SASL login/],
    ['a non-string address', { alice: [42] }, /address of alice 42 is not a string/],
    ['an address with a line break', { alice: ['a@example.com\nrelayhost = x'] }, /control character/],
    ['a login with a brace', { 'a{b}': ['a@example.com'] }, /'\{' or '\}'/],
    ['a login with "="', { 'a=b': ['a@example.com'] }, /letters, digits and \. _ % \+ - @/],
  ])('refuses %s', (_what, bindings, message) => {
    expect(() => senderLoginEntries('senderLogins', bindings as never)).toThrow(message);
  });
});

describe('a submission service with senderLogins', () => {
  const spec = baselineSpec();
  const rendered = renderServer({
    ...spec,
    submissions: [{ ...spec.submissions[0], senderLogins: senderLoginEntries('senderLogins', { alice: ['alice@example.com'] }) }, spec.submissions[1]],
  });
  const block = (name: string): string[] => {
    const lines = rendered.masterCf.split('\n');
    const start = lines.findIndex((l) => l.startsWith(`${name} `));
    const end = lines.findIndex((l, i) => i > start && !/^\s/.test(l));
    return lines.slice(start + 1, end).map((l) => l.trim());
  };

  test('replaces the empty sender restrictions of that service only, and ships the table', () => {
    expect(block('submission').filter((l) => l.includes('smtpd_sender_restrictions'))).toEqual(['-o smtpd_sender_restrictions=reject_authenticated_sender_login_mismatch']);
    expect(block('submission')).toContain('-o smtpd_sender_login_maps=hash:/etc/postfix/tables/sender_logins_submission');
    expect(block('submissions').filter((l) => l.includes('smtpd_sender_'))).toEqual(['-o { smtpd_sender_restrictions = }']);
    expect(rendered.mainCf).not.toMatch(/sender_login/);
    expect(rendered.tables).toContainEqual({ path: '/etc/postfix/tables/sender_logins_submission', content: 'alice@example.com alice\n' });
  });
});
