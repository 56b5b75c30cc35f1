namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>Builds the one-line refusals every qcow2 codec throws ("PATH: qcow2: problem").</summary>
internal static class Qcow2Error
{
    public static ImageFormatException Make(string path, ImageError reason, string problem) =>
        new(path, ImageFormat.Qcow2, reason, problem);
}
