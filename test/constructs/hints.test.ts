/**
 * Every fix an error or warning suggests must name something a user can type: a prop, method or enum
 * member that exists on the construct it names. Read from the source with the TypeScript compiler.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { FORBIDDEN_PARAMETERS, MANAGED_PARAMETERS } from '../../lib/validate-server';

const ROOT = join(__dirname, '..', '..');

function sources(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(directory, e.name)) : e.name.endsWith('.ts') ? [join(directory, e.name)] : [],
  );
}

const parsed = [...sources('lib'), ...sources('constructs')].map((file) =>
  ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true),
);

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

/** Members (props, methods, enum members) of each exported class, interface and enum, with inherited props. */
function publicMembers(): Map<string, Set<string>> {
  const own = new Map<string, Set<string>>();
  const bases = new Map<string, string[]>();
  for (const file of parsed.filter((f) => f.fileName.startsWith('constructs'))) {
    walk(file, (n) => {
      if (!(ts.isInterfaceDeclaration(n) || ts.isClassDeclaration(n) || ts.isEnumDeclaration(n)) || !n.name) return;
      const names = new Set<string>();
      for (const m of n.members as ts.NodeArray<ts.Node>) {
        const name = (m as { name?: ts.Node }).name;
        if (name && ts.isIdentifier(name) && !name.text.startsWith('_')) names.add(name.text);
      }
      own.set(n.name.text, names);
      if (!ts.isEnumDeclaration(n)) {
        bases.set(n.name.text, (n.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText())));
      }
    });
  }
  const all = (name: string): Set<string> => new Set([...(own.get(name) ?? []), ...(bases.get(name) ?? []).flatMap((b) => [...all(b)])]);
  return new Map([...own.keys()].map((name) => [name, all(name)]));
}

const MEMBERS = publicMembers();
const CONSTRUCTS = ['PostfixServer', 'TlsServer', 'ClientCertPolicy', 'SessionCache', 'SubmissionPort', 'PostfixContainer', 'PostfixImage', 'DeployTimePki'];
/** What a user can set on a construct: its props, plus its own public members. */
const settable = (construct: string): Set<string> => new Set([...(MEMBERS.get(`${construct}Props`) ?? []), ...(MEMBERS.get(construct) ?? [])]);
const ANY_NAME = new Set([...MEMBERS.values()].flatMap((names) => [...names]));
/** camelCase words of X.509, OpenSSL and cdktf (a context key) that literals use; they are not hints. */
const DOMAIN_WORDS = new Set([
  'digitalSignature', 'keyEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'serverAuth', 'clientAuth', 'codeSigning',
  'emailProtection', 'anyExtendedKeyUsage', 'subjectAltName', 'basicConstraints', 'cA', 'aNULL', 'eNULL', 'aRSA', 'aECDSA', 'aDSS', 'kRSA', 'kDHE', 'cdktfVersion',
]);

/** Text of every string and template literal in the pure core and the constructs. */
const MESSAGES: { file: string; text: string }[] = parsed.flatMap((file) => {
  const out: { file: string; text: string }[] = [];
  walk(file, (n) => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      // Indexed-access types name library fields (`GeneratorParams['signingKey']`), not messages.
      if (!ts.isLiteralTypeNode(n.parent)) out.push({ file: file.fileName, text: n.text });
    }
  });
  return out;
});

describe('fix hints name props that exist', () => {
  test('the parser found the constructs and their props', () => {
    expect(settable('TlsServer')).toContain('starttlsTimeoutSeconds');
    expect(settable('ClientCertPolicy')).toContain('relayClients');
    expect(MESSAGES.length).toBeGreaterThan(300);
  });

  test.each(Object.entries(MANAGED_PARAMETERS))('managed parameter %s names real props (%s)', (_name, owner) => {
    if (owner.startsWith('the library')) return;
    for (const part of owner.split(' and ')) {
      const [construct, ...rest] = part.trim().split(' ');
      expect(CONSTRUCTS).toContain(construct);
      for (const prop of rest.join(' ').split('/').map((p) => p.trim())) expect({ construct, prop, exists: settable(construct).has(prop) }).toEqual({ construct, prop, exists: true });
    }
  });

  test('"<Construct> <name>" in any message names a member of that construct when the name is one of the API', () => {
    const wrong: string[] = [];
    const pattern = new RegExp(`\\b(${CONSTRUCTS.join('|')}) ([a-z][A-Za-z0-9]*)`, 'g');
    for (const { file, text } of [...MESSAGES, ...Object.values(FORBIDDEN_PARAMETERS).map((text) => ({ file: 'FORBIDDEN_PARAMETERS', text }))]) {
      for (const [, construct, name] of text.matchAll(pattern)) {
        // Plain English after a construct name ("a TlsServer with ..."); camelCase words and API names are hints.
        const hint = /[A-Z]/.test(name) || ANY_NAME.has(name);
        if (hint && !settable(construct).has(name)) wrong.push(`${file}: "${construct} ${name}"`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test('every camelCase name a message suggests exists somewhere in the public API', () => {
    const unknown = new Set<string>();
    for (const { file, text } of MESSAGES) {
      for (const [word] of text.matchAll(/(?<![\w.$-])[a-z]+[A-Z][A-Za-z0-9]*(?![\w(-])/g)) {
        if (!ANY_NAME.has(word) && !DOMAIN_WORDS.has(word)) unknown.add(`${file}: ${word}`);
      }
    }
    expect([...unknown].sort()).toEqual([]);
  });
});
