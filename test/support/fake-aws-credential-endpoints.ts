/**
 * Fakes of the two AWS endpoints the SDK's own credential providers call, so assume-role and SSO profiles can
 * be tested offline: STS AssumeRole (query protocol, XML answer) and the SSO portal's GetRoleCredentials (a GET
 * with the cached SSO access token). Each hands out the temporary credentials it was given and records who asked.
 */

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface FakeAwsCredentialEndpoints {
  url: string;
  /** AssumeRole calls: the role, and the access key id that signed the call. */
  assumeRoleCalls: Array<{ roleArn: string; roleSessionName: string; signedBy: string }>;
  /** GetRoleCredentials calls: the account, the role and the bearer token presented. */
  ssoCalls: Array<{ accountId: string; roleName: string; accessToken: string }>;
  stop(): Promise<void>;
}

export function startFakeAwsCredentialEndpoints(options: { assumed: TemporaryCredentials; sso: TemporaryCredentials; ssoAccessToken: string }): FakeAwsCredentialEndpoints {
  const assumeRoleCalls: FakeAwsCredentialEndpoints["assumeRoleCalls"] = [];
  const ssoCalls: FakeAwsCredentialEndpoints["ssoCalls"] = [];
  const expiration = () => new Date(Date.now() + 3_600_000);
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method === "GET" && url.pathname === "/federation/credentials") {
        const accessToken = request.headers.get("x-amz-sso_bearer_token") ?? "";
        ssoCalls.push({ accountId: url.searchParams.get("account_id") ?? "", roleName: url.searchParams.get("role_name") ?? "", accessToken });
        if (accessToken !== options.ssoAccessToken) return Response.json({ message: "Session token not found or invalid" }, { status: 401, headers: { "x-amzn-errortype": "UnauthorizedException" } });
        const { accessKeyId, secretAccessKey, sessionToken } = options.sso;
        return Response.json({ roleCredentials: { accessKeyId, secretAccessKey, sessionToken, expiration: expiration().getTime() } });
      }
      if (request.method === "POST") {
        const form = new URLSearchParams(await request.text());
        if (form.get("Action") !== "AssumeRole") return new Response("unknown action", { status: 400 });
        const signedBy = /Credential=([^/]+)\//.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
        assumeRoleCalls.push({ roleArn: form.get("RoleArn") ?? "", roleSessionName: form.get("RoleSessionName") ?? "", signedBy });
        const { accessKeyId, secretAccessKey, sessionToken } = options.assumed;
        const xml = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secretAccessKey}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken><Expiration>${expiration().toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:relay</AssumedRoleId><Arn>${form.get("RoleArn")}/relay</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>fake-sts-1</RequestId></ResponseMetadata></AssumeRoleResponse>`;
        return new Response(xml, { headers: { "content-type": "text/xml" } });
      }
      return new Response("not found", { status: 404 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    assumeRoleCalls,
    ssoCalls,
    stop: () => server.stop(true),
  };
}
