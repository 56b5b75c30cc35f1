namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>PXE sub-option 10 (PXE_MENU_PROMPT): seconds to wait (255 = forever, 0 = boot the first item) and the prompt.</summary>
public readonly record struct PxeMenuPrompt(byte Timeout, string Prompt);
