import { App, LocalBackend } from "cdktf";
import { MailStack } from "./mail-stack";

const app = new App();
const stack = new MailStack(app, "consumer-app", { saslCredentialsFile: "credentials/sasl" });
// The state file next to cdktf.json, named relative to the stack directory Terraform runs in (cdktf's
// default records the absolute path of the project, which would differ between checkouts).
new LocalBackend(stack, { path: "../../../terraform.consumer-app.tfstate" });
app.synth();
