namespace BareMetal.TestSupport.Boot;

/// <summary>What goes into a <see cref="LinuxBootDisk"/>; every field is part of its cache key.</summary>
/// <param name="Init">The initramfs's /init, a busybox sh script (its first line should be <c>#!/bin/busybox sh</c>).</param>
/// <param name="KernelArguments">Appended to the kernel command line after <c>console=ttyS0,115200</c>; /init reads it from /proc/cmdline.</param>
/// <param name="Modules">Kernel modules to put in the initramfs with their dependencies (e1000 for QEMU's default NIC, virtio_net ...); /init loads them with <c>. /lib/modules/load</c>.</param>
/// <param name="Size">Disk size: iPXE's BIOS sanboot fails on disks under about 7.8 MiB (one cylinder), so 32 MiB.</param>
public sealed record LinuxBootDiskSpec(string Init, string KernelArguments, IReadOnlyList<string> Modules, long Size = LinuxBootDisk.DefaultSize);
