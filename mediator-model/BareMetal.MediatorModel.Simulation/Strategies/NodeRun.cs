using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Devices;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Generated;
using BareMetal.MediatorModel.Simulation.Guest;
using BareMetal.MediatorModel.Simulation.Mediation;
using BareMetal.MediatorModel.Simulation.Scenarios;

namespace BareMetal.MediatorModel.Simulation.Strategies;

/// <summary>One node deploying with one strategy: builds its disk, HBA, NIC and guest, and walks
/// the strategy's stages (install and reboot; VMM boot, streaming and de-virtualization; NFS root;
/// KVM host boot and an emulated disk).</summary>
internal sealed class NodeRun : IEventHandler
{
    private const int EventStageDone = 1;

    private readonly Simulator _sim;
    private readonly Scenario _scenario;
    private readonly ImageServer _server;
    private readonly BootTrace _trace;
    private readonly Link _nic;
    private readonly DiskModel _disk;
    private readonly GuestMemory _memory;
    private readonly AhciHba _hba;
    private readonly List<Phase> _phases = [];
    private long _start;
    private long _stageStart;
    private string _stageLabel = "";
    private Action? _afterStage;

    public NodeRun(Simulator sim, Scenario scenario, string strategy, ImageServer server, BootTrace trace, Xoshiro256 rng)
    {
        _sim = sim;
        _scenario = scenario;
        Strategy = strategy;
        _server = server;
        _trace = trace;
        _nic = new Link(scenario.Node.Nic);
        _disk = new DiskModel(scenario.Node.Disk, rng.Fork(1));
        var track = scenario.TrackContents;
        _memory = new GuestMemory(track ? GuestMemory.PagesFor(AhciMediator.BuffersNeeded(scenario.Vmm.CopyOutstanding)) : 0);
        var blocks = track ? new long[scenario.ImageBytes / GuestMemory.PageBytes] : null;
        _hba = new AhciHba(sim, _disk, _memory, blocks);
        GuestRng = rng.Fork(2);
    }

    public string Strategy { get; }

    /// <summary>Lets tests adjust the mediator's options (fault injection) before it is built.</summary>
    public Func<MediatorOptions, MediatorOptions>? AdjustMediator { get; set; }

    /// <summary>Real-network mode for this node (the seed's VMM strategy only).</summary>
    public Real.RealNetworkMode? Real { get; set; }

    public Xoshiro256 GuestRng { get; }

    public GuestOs? Guest { get; private set; }

    public IStreamingMediator? Mediator { get; private set; }

    public StreamingState? Streaming { get; private set; }

    public AhciHba Hba => _hba;

    /// <summary>The node's own link (its GbE NIC), server to node.</summary>
    public Link Nic => _nic;

    public long CopyCompleteTime { get; private set; } = -1;

    public long DevirtualizedTime { get; private set; } = -1;

    public IReadOnlyList<Phase> Phases => _phases;

    public double StartupSeconds => Guest is null || Guest.OsReadyTime < 0 ? double.NaN : Time.ToSeconds(Guest.OsReadyTime - _start);

    public void Start()
    {
        _start = _sim.Now;
        switch (Strategy)
        {
            case "bare-metal":
                StampImage();
                BootGuest(new AhciGuestDriver(_hba, _memory, ncq: true), 1.0, "OS boot");
                break;
            case "image-copy":
                var installerDriver = new AhciGuestDriver(_hba, _memory, ncq: true);
                _hba.Interrupts = installerDriver;
                _stageStart = _sim.Now;
                var installer = new Installer(_server, _nic, installerDriver, _scenario.ImageBytes, _scenario.Vmm.CopyChunkKiB * 1024L, _scenario.Vmm.CopyOutstanding, () =>
                {
                    CopyCompleteTime = _sim.Now;
                    AddPhase("Image copy", _stageStart, _sim.Now);
                    StampImage();
                    Stage("Reboot + firmware", _scenario.Node.FirmwareRebootSeconds, () =>
                        BootGuest(new AhciGuestDriver(_hba, _memory, ncq: true), 1.0, "OS boot"));
                });
                installer.Start();
                break;
            case "vmm" or "vmm-prefetch":
                Stage("VMM boot", _scenario.Node.VmmBootSeconds, StartVmm);
                break;
            case "nfs-root":
                BootGuest(new NfsRootDevice(_server, _nic, _scenario.Nfs), 1.0, "OS boot");
                break;
            case "kvm-nfs":
                Stage("KVM host boot", _scenario.Node.KvmHostBootSeconds, () =>
                    Stage("Guest firmware", _scenario.Kvm.GuestFirmwareSeconds, () =>
                        BootKvmGuest(new KvmDisk(_sim, _scenario.Kvm, _server, _nic, _scenario.Nfs))));
                break;
            case "kvm-local":
                Stage("KVM host boot", _scenario.Node.KvmHostBootSeconds, () =>
                    Stage("Guest firmware", _scenario.Kvm.GuestFirmwareSeconds, () =>
                        BootKvmGuest(new KvmDisk(_sim, _scenario.Kvm, new DirectDisk(_sim, _disk)))));
                break;
            default:
                throw new ScenarioException($"unknown strategy '{Strategy}'");
        }
    }

    public void OnEvent(int kind, long arg)
    {
        AddPhase(_stageLabel, _stageStart, _sim.Now);
        var next = _afterStage!;
        _afterStage = null;
        next();
    }

    /// <summary>Per-second throughput of the guest's workload, as recorded.</summary>
    public double[] Buckets => Guest?.Buckets ?? [];

    private void Stage(string label, double seconds, Action then)
    {
        _stageLabel = label;
        _stageStart = _sim.Now;
        _afterStage = then;
        _sim.After(Time.FromSeconds(seconds), this, EventStageDone);
    }

    private void AddPhase(string label, long from, long to) =>
        _phases.Add(new Phase(label, Time.ToSeconds(from - _start), Time.ToSeconds(to - _start)));

    private void StampImage()
    {
        if (_hba.Blocks is { } blocks)
        {
            for (var b = 0; b < blocks.Length; b++)
            {
                blocks[b] = ImageServer.ImageTag(b);
            }
        }
    }

    private void StartVmm()
    {
        var vmm = _scenario.Vmm;
        var prefetch = Strategy == "vmm-prefetch";
        Streaming = new StreamingState(_scenario.ImageBytes, vmm.CopyChunkKiB * 1024);
        var options = new MediatorOptions
        {
            ExitNs = Time.FromMicroseconds(vmm.VmExitUs),
            CopyOutstanding = vmm.CopyOutstanding,
            Prefetch = prefetch ? _trace.WorkingSetExtents(_scenario.Prefetch.FetchKiB * 1024L) : [],
            IdleGapNs = prefetch ? (long)(_scenario.Prefetch.IdleGapMs * Time.Millisecond) : 0,
            AdaptiveReads = prefetch ? _trace.ReadCount * 95 / 100 : 0,
            Real = Real,
        };
        if (Real is { } real)
        {
            _hba.DiskWritten = (offset, bytes, buffer) => real.OnDiskWrite(_memory, offset, bytes, buffer, _sim.Now);
        }
        if (AdjustMediator is not null)
        {
            options = AdjustMediator(options);
        }

        IStreamingMediator mediator = vmm.Mediator == VmmSpec.GeneratedAhci
            ? GeneratedAhciMediator.Create(_sim, _hba, _memory, _server, _nic, Streaming, options)
            : new AhciMediator(_sim, _hba, _memory, _server, _nic, Streaming, options);
        Mediator = mediator;
        var driver = new AhciGuestDriver(mediator, _memory, ncq: true);
        mediator.GuestInterrupt = driver;
        mediator.OnDevirtualized = () =>
        {
            // Interception stops: the driver's MMIO now reaches the HBA and its interrupt the guest;
            // nested paging is off, so guest CPU runs at bare-metal speed.
            driver.Port = _hba;
            _hba.Interrupts = driver;
            Guest!.CpuFactor = 1;
            CopyCompleteTime = mediator.CopyCompleteTime;
            DevirtualizedTime = _sim.Now + Time.FromMicroseconds(vmm.DevirtualizeUs);
        };
        BootGuest(driver, 1 + vmm.NestedPagingOverhead, "OS boot");
        mediator.Start();
    }

    /// <summary>A KVM guest: its boot pays KVM's exit-heavy CPU overhead; its workload then pays the
    /// nested paging of the same CPU the seed's VMM runs on, and the NIC exits of each operation.</summary>
    private void BootKvmGuest(KvmDisk disk)
    {
        var kvm = _scenario.Kvm;
        BootGuest(disk, 1 + kvm.CpuOverhead, "OS boot", 1 + _scenario.Vmm.NestedPagingOverhead, kvm.ExitsPerOp * Time.FromMicroseconds(kvm.ExitUs));
    }

    private void BootGuest(IBlockDevice device, double cpuFactor, string label, double? appCpuFactor = null, long appExtraNsPerOp = 0)
    {
        if (device is AhciGuestDriver ahci && Mediator is null)
        {
            _hba.Interrupts = ahci;
        }

        var bucketNs = Time.FromSeconds(_scenario.BucketSeconds);
        var buckets = (int)Math.Ceiling(_scenario.HorizonSeconds / _scenario.BucketSeconds);
        var track = _scenario.TrackContents && device is AhciGuestDriver;
        Guest = new GuestOs(_sim, device, _trace, _scenario.Workload, _scenario.ImageBytes, GuestRng, track, bucketNs, buckets)
        {
            CpuFactor = cpuFactor,
            AppCpuFactor = appCpuFactor,
            AppExtraNsPerOp = appExtraNsPerOp,
        };
        var bootStart = _sim.Now;
        Guest.Start();
        _osBootLabel = label;
        _osBootStart = bootStart;
    }

    private string _osBootLabel = "";
    private long _osBootStart;

    /// <summary>Closes the OS boot phase once the run is over (the guest reports readiness itself).</summary>
    public void Finish()
    {
        if (Guest is { OsReadyTime: >= 0 } g && !_phases.Exists(p => p.Label == _osBootLabel && _osBootLabel.Length > 0 && p.StartSeconds == Time.ToSeconds(_osBootStart - _start)))
        {
            AddPhase(_osBootLabel, _osBootStart, g.OsReadyTime);
        }
    }
}
