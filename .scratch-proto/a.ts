import { Testing } from 'cdktf';
import { buildExampleApp, ExampleMailStack } from '../example/mail-stack';
(async () => {
  const app = await buildExampleApp('/tmp/proto/pki');
  const stack = app.node.findChild('example') as ExampleMailStack;
  const r = stack.server.render();
  console.log(r.mainCf); console.log(r.masterCf); console.log(JSON.stringify(r.tables), r.warnings);
  const json = Testing.synth(stack);
  console.log(json.slice(0, 6000));
})();
