namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>Login Response Status-Class and Status-Detail as one word (RFC 7143 11.13.5).</summary>
public static class LoginStatus
{
    public const ushort Success = 0x0000;
    public const ushort InitiatorError = 0x0200;
    public const ushort AuthenticationFailed = 0x0201;
    public const ushort TargetNotFound = 0x0203;
    public const ushort UnsupportedVersion = 0x0205;
    public const ushort MissingParameter = 0x0207;
    public const ushort SessionDoesNotExist = 0x020a;
    public const ushort TargetError = 0x0300;
}
