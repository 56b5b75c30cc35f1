namespace BareMetal.MediatorModel.Spec.Diagnostics;

/// <summary>
/// Every diagnostic code the compiler reports. The codes are a contract (tests, scripts and the README
/// list them): add new ones, never renumber.
/// </summary>
public static class DiagnosticCodes
{
    // Lexer.
    public const string UnexpectedCharacter = "MS0001";
    public const string UnterminatedString = "MS0002";
    public const string BadNumber = "MS0003";
    public const string UnterminatedComment = "MS0004";
    public const string FileTooLarge = "MS0005";

    // Parser.
    public const string Syntax = "MS0100";
    public const string NestingTooDeep = "MS0101";
    public const string MissingDevice = "MS0102";
    public const string TooManyErrors = "MS0103";

    // Names.
    public const string DuplicateName = "MS0200";
    public const string UnknownRegister = "MS0201";
    public const string UnknownField = "MS0202";
    public const string UnknownState = "MS0203";
    public const string UnknownStruct = "MS0204";
    public const string UnknownDecode = "MS0205";
    public const string UnknownDoorbell = "MS0206";
    public const string UnknownName = "MS0207";
    public const string UnknownArray = "MS0208";
    public const string ReservedName = "MS0209";

    // Register map.
    public const string BadWidth = "MS0300";
    public const string Misaligned = "MS0301";
    public const string OverlappingRegisters = "MS0302";
    public const string FieldOutsideRegister = "MS0303";
    public const string OverlappingFields = "MS0304";
    public const string BadAccess = "MS0305";
    public const string ResetTooWide = "MS0306";
    public const string ReversedBits = "MS0307";
    public const string BadArray = "MS0308";
    public const string TooLarge = "MS0309";

    // Memory structures.
    public const string FieldOutsideStruct = "MS0400";
    public const string BitsOutsideType = "MS0401";
    public const string OverlappingStructFields = "MS0402";
    public const string BadType = "MS0403";

    // Command decoding.
    public const string DuplicateOpcode = "MS0500";
    public const string OpcodeTooWide = "MS0501";
    public const string BadCommandKind = "MS0502";
    public const string MissingLbaOrCount = "MS0503";
    public const string DuplicateDefault = "MS0504";
    public const string DecodeMismatch = "MS0505";

    // State machines.
    public const string MissingInitial = "MS0600";
    public const string UnreachableState = "MS0601";
    public const string MissingTrigger = "MS0602";
    public const string TriggerOutOfScope = "MS0603";
    public const string NoStates = "MS0604";

    // Expressions, statements and mediation.
    public const string MissingSafePoint = "MS0700";
    public const string TypeMismatch = "MS0701";
    public const string IndexRequired = "MS0702";
    public const string NotAssignable = "MS0703";
    public const string DuplicateSection = "MS0704";
    public const string NotIndexable = "MS0705";
    public const string BadDoorbell = "MS0706";
}
