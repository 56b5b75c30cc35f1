namespace BareMetal.Provisioning.Core.Boot;

/// <summary>
/// The os-up report for OSes whose DHCP we do not see (static addresses, another DHCP server on a
/// segment we do not listen on): the node's OS calls <c>/boot/{mac}/os-up</c> once it is up, or runs the
/// reporter script <see cref="Script"/> serves at <c>/boot/agent/os-up.sh</c>, one line in an image's
/// init: <c>wget -q -O- http://SERVER:8080/boot/agent/os-up.sh | sh</c>.
/// </summary>
public static class OsUpAgent
{
    /// <summary>Last segment of <c>/boot/{mac}/os-up</c>.</summary>
    public const string ReportPath = "os-up";

    /// <summary>Path of the reporter script.</summary>
    public const string ScriptPath = "/boot/agent/os-up.sh";

    /// <summary>What the reporter prints first; a test finds it on a serial console.</summary>
    public const string ScriptBanner = "baremetal os-up:";

    public static string ReportUrl(string baseUrl, string mac) => $"{baseUrl.TrimEnd('/')}/boot/{mac}/{ReportPath}";

    /// <summary>
    /// A POSIX sh script that reports this machine's MAC: the interface of the default route, else the first
    /// interface that is up and not loopback (a lab network often has no router); a MAC given as $1 wins.
    /// The deployment's key, as $2 or $BAREMETAL_KEY, goes with the report (<c>?key=</c>); without it the
    /// server takes the report only from the node's own address.
    /// It uses curl (POST) when present, else wget (a plain GET, which the route also takes, so any wget
    /// will do, busybox's included). Exit status: 0 reported, 1 not.
    /// </summary>
    /// <param name="baseUrl">Our base URL as the node reaches us (it is written into the script).</param>
    public static string Script(string baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        // Inside single quotes only a single quote needs care; a URL from a Host header has none, but say so anyway.
        var quoted = "'" + baseUrl.TrimEnd('/').Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        return $$"""
            #!/bin/sh
            # BareMetal: tell the provisioning server that this node's OS is up (deployment state os-up).
            # Usage, one line in an image's init:  wget -q -O- {{baseUrl.TrimEnd('/')}}{{ScriptPath}} | sh
            #                                  or:  curl -fsS {{baseUrl.TrimEnd('/')}}{{ScriptPath}} | sh -s -- [MAC [KEY]]
            server={{quoted}}
            mac=$1
            # The deployment's key (from the kernel command line or the environment) proves the report is
            # this node's; without it the server accepts the report only from the node's own address.
            key=${2:-$BAREMETAL_KEY}
            if [ -z "$mac" ]; then
              iface=
              # /proc/net/route: the default route has destination 00000000.
              if [ -r /proc/net/route ]; then
                while read -r name destination rest; do
                  if [ "$destination" = 00000000 ]; then iface=$name; break; fi
                done < /proc/net/route
              fi
              if [ -z "$iface" ]; then
                for dir in /sys/class/net/*; do
                  name=${dir##*/}
                  [ "$name" = lo ] && continue
                  state=$(cat "$dir/operstate" 2>/dev/null)
                  if [ "$state" = up ] || [ "$state" = unknown ]; then iface=$name; break; fi
                done
              fi
              [ -n "$iface" ] && mac=$(cat "/sys/class/net/$iface/address" 2>/dev/null)
            fi
            if [ -z "$mac" ]; then
              echo "{{ScriptBanner}} no network interface found; give the MAC as the first argument" >&2
              exit 1
            fi
            url="$server/boot/$mac/{{ReportPath}}"
            [ -n "$key" ] && url="$url?key=$key"
            if command -v curl >/dev/null 2>&1; then
              answer=$(curl -fsS -X POST "$url") || { echo "{{ScriptBanner}} $url refused or unreachable" >&2; exit 1; }
            elif command -v wget >/dev/null 2>&1; then
              answer=$(wget -q -O- "$url") || { echo "{{ScriptBanner}} $url refused or unreachable" >&2; exit 1; }
            else
              echo "{{ScriptBanner}} neither curl nor wget is installed" >&2
              exit 1
            fi
            echo "{{ScriptBanner}} $answer"

            """;
    }
}
