import { postconfCheck } from '../test/helpers/postconf';
import { buildExampleApp, ExampleMailStack } from '../example/mail-stack';
(async () => {
  const app = await buildExampleApp('/tmp/proto/pki');
  const stack = app.node.findChild('example') as ExampleMailStack;
  const r = stack.server.render();
  const t = Date.now();
  const res = postconfCheck(r);
  console.log(Date.now() - t, res.warnings, Object.keys(res.mainParameters).length, res.masterServices.length);
})();
