/** The agent's meta-data (OCF 1.1; valid against resource-agents' ra-api-1.dtd, checked by ocf-tester). */
import { VERSION } from "../version.ts";

export function metadata(): string {
  return `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="hamon" version="${VERSION}">
<version>1.1</version>
<longdesc lang="en">
Runs the hamon monitor on this node (usually as a clone) and reports its verdict on the node:
at OCF_CHECK_LEVEL 0 whether the monitor answers, at 10 the node verdict (green 0, yellow 190
degraded, red 1), at 20 also every connected component's internal audit. hamon itself sets
the #health-hamon node attribute when its [pacemaker] table is enabled.
</longdesc>
<shortdesc lang="en">hamon health monitor</shortdesc>
<parameters>
<parameter name="binary" unique="0" required="0">
<longdesc lang="en">The hamon executable the agent runs (read by the shell wrapper docs/ocf/hamon).</longdesc>
<shortdesc lang="en">hamon binary</shortdesc>
<content type="string" default="/usr/sbin/hamon"/>
</parameter>
<parameter name="config" unique="0" required="0">
<longdesc lang="en">hamon configuration file (TOML). Left unset: /etc/hamon/hamon.toml when that file exists, else the built-in default. Set empty: the built-in default.</longdesc>
<shortdesc lang="en">Configuration file</shortdesc>
<content type="string" default="/etc/hamon/hamon.toml"/>
</parameter>
<parameter name="socket" unique="1" required="0">
<longdesc lang="en">The monitor's socket. Empty: the configuration's, else /run/hamon/hamon.sock.</longdesc>
<shortdesc lang="en">Monitor socket</shortdesc>
<content type="string" default=""/>
</parameter>
<parameter name="state_dir" unique="1" required="0">
<longdesc lang="en">Journal, events and flight records. Empty: the configuration's, else /var/lib/hamon.</longdesc>
<shortdesc lang="en">State directory</shortdesc>
<content type="string" default=""/>
</parameter>
</parameters>
<actions>
<action name="start" timeout="20s"/>
<action name="stop" timeout="20s"/>
<action name="monitor" timeout="20s" interval="10s" depth="0"/>
<action name="monitor" timeout="20s" interval="30s" depth="10"/>
<action name="monitor" timeout="60s" interval="300s" depth="20"/>
<action name="validate-all" timeout="5s"/>
<action name="meta-data" timeout="5s"/>
</actions>
</resource-agent>
`;
}
