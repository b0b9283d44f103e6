import { buildExampleApp } from '../example/mail-stack';

// The cdktf app of cdktf.json: `npx cdktf synth` runs this.
buildExampleApp()
  .then((app) => app.synth())
  .catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
