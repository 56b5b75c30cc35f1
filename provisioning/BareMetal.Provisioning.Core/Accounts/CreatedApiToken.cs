namespace BareMetal.Provisioning.Core.Accounts;

/// <summary>A token just created: <see cref="Secret"/> is shown to the user once and never stored.</summary>
/// <param name="Secret">"bm_" + 43 base64url characters (32 random bytes).</param>
public sealed record CreatedApiToken(ApiToken Token, string Secret);
