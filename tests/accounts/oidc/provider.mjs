// A real OpenID Provider for the sign-in tests: the certified `oidc-provider` package, configured
// from environment variables by tests/accounts/oidc/server.py. Development interactions are on:
// its login form accepts any password for the accounts listed in OIDC_ACCOUNTS.
import Provider from "oidc-provider";
import * as jose from "jose";

const issuer = process.env.OIDC_ISSUER;
const port = Number(process.env.OIDC_PORT);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS);
const clients = JSON.parse(process.env.OIDC_CLIENTS);
const skewSeconds = Number(process.env.OIDC_CLOCK_SKEW_SECONDS || "0");
// A provider that hands out a bad ID token on purpose: "audience" (made for another client),
// "issuer" (claims another issuer), both signed with its own published key, or "signature" (signed
// with a key it never published, under its own key id).
const tamper = process.env.OIDC_TAMPER_ID_TOKEN || "";

const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };
const foreignKey = (await jose.generateKeyPair("RS256")).privateKey;

async function tampered(idToken) {
  const claims = jose.decodeJwt(idToken);
  // Made for another client, naming this one as the authorised party: still not for this one.
  if (tamper === "audience") Object.assign(claims, { aud: ["another-client"], azp: claims.aud });
  if (tamper === "issuer") claims.iss = "https://impostor.example";
  const key = tamper === "signature" ? foreignKey : privateKey;
  return new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "test-key" }).sign(key);
}

// A provider whose clock runs behind while it issues tokens: the ID tokens from its token
// endpoint have already expired (its login pages and cookies keep the real time).
let issuing = false;
if (skewSeconds) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + (issuing ? skewSeconds * 1000 : 0);
}

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingJwk] },
  cookies: { keys: ["test-cookie-key-not-secret"] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
    groups: ["groups", "partner_org", "tier"],
  },
  scopes: ["openid", "email", "profile", "groups", "offline_access"],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;
provider.use(async (ctx, next) => {
  issuing = ctx.path === "/token";
  try {
    await next();
  } finally {
    issuing = false;
  }
  if (tamper && ctx.path === "/token" && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token) };
  }
});
provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
