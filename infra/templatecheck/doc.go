// Package templatecheck checks the deployment templates under infra/ the way Marketplace
// certification and azd would, because no Bicep compiler or arm-ttk runs on this machine.
//
// It reads, never deploys:
//   - ARM JSON templates ([CheckARM]): the arm-ttk rules Marketplace certification applies
//     (recent non-preview API versions, location defaults, referenced parameters and
//     variables, secure parameters without defaults, no secrets in outputs, no hard-coded
//     cloud host names, the pid-<GUID>-partnercenter deployment) plus ours (Flex Consumption
//     settings, Service Bus queues, PostgreSQL Entra auth and backups, role ids from values).
//   - createUiDefinition.json against its template ([CheckCreateUIDef]).
//   - Bicep files by their text ([ParseBicep], [CheckBicep]): parameters and variables
//     declared and used, module references and their parameters, API versions, outputs,
//     host names, and every `values.x.y` path present in the shared values file.
//   - azure.yaml against azd's rules for a custom-handler function app ([CheckAzureYAML]).
//
// Each check returns [Problem]s naming the rule, so a test can prove each rule catches its
// own violation (testdata/ holds one broken fixture per rule).
package templatecheck
