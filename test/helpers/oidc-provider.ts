import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const testClient = { clientId: 'k8s-course', clientSecret: 'course-client-secret' };

export interface TestProvider {
  issuer: string;
  close(): void;
}

/**
 * A real OpenID Connect provider (oidc-provider) on localhost, with its development login and
 * consent pages: whoever types a login is that subject, with a verified email and a profile.
 * It knows one confidential client, `testClient`, whose callback is `redirectUri`.
 */
export async function startOidcProvider(redirectUri: string): Promise<TestProvider> {
  const server: Server = createServer();
  server.listen(0, 'localhost');
  await once(server, 'listening');
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: testClient.clientId,
        client_secret: testClient.clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({
        sub,
        email: `${sub}@school.example`,
        email_verified: true,
        preferred_username: sub,
        name: `Learner ${sub}`,
      }),
    }),
    cookies: { keys: ['provider-cookie-key-for-tests'] },
    features: { devInteractions: { enabled: true } },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
