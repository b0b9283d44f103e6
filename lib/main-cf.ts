import { ConfigError } from './diagnostics';
import { parameterName, postfixSyntax, safeText } from './values';

/** One `name = value` line of main.cf; the value is already formatted by the helpers in `values.ts`. */
export interface MainCfParameter {
  readonly name: string;
  readonly value: string;
}

/** A group of parameters that belong to one concern, rendered under a one-line comment. */
export interface MainCfSection {
  readonly title: string;
  readonly parameters: readonly MainCfParameter[];
}

/** Renders main.cf: sections in the given order, empty sections left out, each name at most once. */
export function renderMainCf(header: string, sections: readonly MainCfSection[]): string {
  const seen = new Set<string>();
  const blocks = [`# ${safeText('main.cf header', header)}`];
  for (const section of sections) {
    if (section.parameters.length === 0) continue;
    const lines = [`# ${safeText('main.cf section title', section.title)}`];
    for (const { name, value } of section.parameters) {
      parameterName(name);
      if (seen.has(name)) {
        throw new ConfigError(`main.cf parameter ${name} is set twice: set it in one place only`);
      }
      seen.add(name);
      postfixSyntax(`value of ${name}`, safeText(`value of ${name}`, value));
      lines.push(value === '' ? `${name} =` : `${name} = ${value}`);
    }
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}
