namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>Why a datagram is not a valid TFTP packet.</summary>
public enum TftpProtocolError
{
    /// <summary>Shorter than the fixed header of its opcode.</summary>
    Truncated,
    /// <summary>Longer than <see cref="TftpLimits.MaxPacketSize"/>.</summary>
    PacketTooLarge,
    /// <summary>Opcode outside 1..6.</summary>
    UnknownOpcode,
    /// <summary>A valid opcode where another one was expected by the caller.</summary>
    UnexpectedOpcode,
    /// <summary>A string field runs to the end of the packet without its NUL.</summary>
    MissingTerminator,
    EmptyFilename,
    FilenameTooLong,
    UnknownMode,
    EmptyOptionName,
    OptionNameTooLong,
    OptionValueTooLong,
    /// <summary>An option name ends the packet with no value after it.</summary>
    OptionValueMissing,
    DuplicateOption,
    TooManyOptions,
    /// <summary>A string field is not valid UTF-8.</summary>
    InvalidText,
    /// <summary>A DATA payload larger than <see cref="TftpLimits.MaxBlockSize"/>.</summary>
    BlockTooLarge,
    /// <summary>An ERROR message longer than <see cref="TftpLimits.MaxErrorMessageLength"/>.</summary>
    MessageTooLong,
}
