namespace BareMetal.MediatorModel.Simulation.Mediation;

/// <summary>The mediator's state at the moment it de-virtualized, kept so tests can check that it
/// was a safe point.</summary>
internal readonly record struct SafePointRecord(long Time, uint GuestCi, uint GuestSact, int PendingGuestCommands, bool DeviceBusy, int FetchesInFlight, bool CopyComplete);
