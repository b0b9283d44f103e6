import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";
import { Container } from "@cdktf/provider-docker/lib/container";
import { PostfixServer } from "postfix-tls-cdktf";
import { MailStack } from "../mail-stack";

describe("the mail stack", () => {
  const app = Testing.app();
  const stack = new MailStack(app, "mail", { saslCredentialsFile: "credentials/sasl" });
  const synthesized = Testing.synth(stack);

  it("matches the reviewed snapshot", () => {
    expect(synthesized).toMatchSnapshot();
  });

  it("runs one Postfix container", () => {
    expect(synthesized).toHaveResource(Container);
  });

  it("renders main.cf with the server's host name", () => {
    expect(PostfixServer.isPostfixServer(stack.server)).toBe(true);
    expect(stack.server.render().mainCf).toContain("myhostname = mx.example.com");
  });
});
