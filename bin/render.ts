import { resolve } from 'node:path';
import { writeReviewDirectory } from '../constructs/review';
import { buildExampleApp } from '../example/mail-stack';

// `npm run render -- DIR`: writes each server's rendered files to DIR/<server id>/ for review.
async function main(): Promise<void> {
  const directory = resolve(process.argv[2] ?? 'rendered');
  const app = await buildExampleApp();
  for (const id of writeReviewDirectory(app, directory)) console.log(`${directory}/${id}/`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
