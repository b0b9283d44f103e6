import { App, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';

/** Where cdktf writes a stack's cdk.tf.json, relative to the app's outdir; Terraform runs there. */
const STACKS_FOLDER = 'stacks';
const DEFAULT_OUTDIR = 'cdktf.out';

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const toPosix = (path: string): string => path.split(sep).join(posix.sep);

/** cdktf `Testing.app()` stubs the version into the context; its output is compared, never deployed. */
const isTestingApp = (app: App): boolean => app.node.tryGetContext('cdktfVersion') === 'stubbed';

/**
 * How a local file is named in cdk.tf.json so that synth gives the same bytes in every checkout: a file
 * inside the project (the working directory synth runs in) is written relative to the stack directory
 * where Terraform runs, when that directory is inside the project too; otherwise (a file such as
 * /etc/letsencrypt/..., or an outdir elsewhere) the absolute path, which Terraform resolves from anywhere.
 * A cdktf `Testing` app writes to a temporary directory and is never deployed: its paths are written as for
 * the default outdir, so snapshots do not depend on where the project or the temporary directory is.
 */
export function deployPath(scope: IConstruct, file: string): string {
  const project = process.cwd();
  const absolute = resolve(project, file);
  if (!inside(project, absolute)) return toPosix(absolute);
  const app = App.of(scope);
  const outdir = isTestingApp(app) ? resolve(project, DEFAULT_OUTDIR) : resolve(project, app.outdir);
  if (!inside(project, outdir)) return toPosix(absolute);
  return toPosix(relative(resolve(outdir, STACKS_FOLDER, TerraformStack.of(scope).node.id), absolute));
}
