namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>Where a connection is: logging in, in full-feature phase, or done (the shell closes it).</summary>
public enum IscsiSessionState
{
    Login,
    FullFeature,
    Closed,
}
