// A real OpenID Provider for the sign-in tests: the certified `oidc-provider` package, configured
// from environment variables by tests/accounts/oidc/server.py. Development interactions are on:
// its login form accepts any password for the accounts listed in OIDC_ACCOUNTS.
import Provider from "oidc-provider";

const issuer = process.env.OIDC_ISSUER;
const port = Number(process.env.OIDC_PORT);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS);
const clients = JSON.parse(process.env.OIDC_CLIENTS);
const skewSeconds = Number(process.env.OIDC_CLOCK_SKEW_SECONDS || "0");

// A provider whose clock runs behind while it issues tokens: the ID tokens from its token
// endpoint have already expired (its login pages and cookies keep the real time).
let issuing = false;
if (skewSeconds) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + (issuing ? skewSeconds * 1000 : 0);
}

const provider = new Provider(issuer, {
  clients,
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
});
provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
