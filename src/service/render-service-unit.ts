/**
 * The unit text for the layout's manager: a systemd unit or a launchd plist.
 */
import { renderLaunchdPlist } from "./render-launchd-plist.ts";
import { renderSystemdUnit } from "./render-systemd-unit.ts";
import type { ServiceDefinition } from "./service-definition.ts";
import type { ServiceLayout } from "./service-layout.ts";

export function renderServiceUnit(layout: ServiceLayout, definition: ServiceDefinition, version: string): string {
  const environmentFilePath = Object.keys(definition.secrets).length > 0 ? layout.environmentFilePath : undefined;
  switch (layout.manager) {
    case "systemd":
      return renderSystemdUnit({ definition, environmentFilePath, version });
    case "launchd":
      return renderLaunchdPlist({ definition, label: layout.name, environmentFilePath, logPath: layout.logPath! });
    default: {
      const unreachable: never = layout.manager;
      throw new Error(`unknown service manager ${unreachable}`);
    }
  }
}
