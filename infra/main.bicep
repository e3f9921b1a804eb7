// Meeting Minutes on our own subscription (managed SaaS): `azd up` provisions this file.
// Subscription scope: creates rg-<environmentName> and deploys the shared modules into it.
// Values both this file and marketplace/mainTemplate.json use live in values.json (one source
// of truth; infra/templatecheck fails when they drift).
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name (AZURE_ENV_NAME); names the resource group rg-<name>.')
param environmentName string

@minLength(1)
@description('Azure region for every resource (AZURE_LOCATION).')
param location string

@description('Object id of the identity running azd (AZURE_PRINCIPAL_ID): may manage Key Vault secrets.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
@description('Kind of principalId (AZURE_PRINCIPAL_TYPE): User locally, ServicePrincipal in CI.')
param principalType string = 'User'

@description('Client id of our multi-tenant Entra app registration (infra/scripts/entra-app.sh); empty switches sign-in off.')
param entraClientId string = ''

@description('Mailbox in our own tenant that sends product mail through Graph (MAIL_FROM_USER); empty for none.')
param mailFromUser string = ''

@allowed([
  'off'
  'on'
])
@description('on: read the Stripe secrets from Key Vault (stripe-secret-key and stripe-webhook-secret must exist).')
param stripe string = 'off'

@minValue(7)
@maxValue(35)
@description('PostgreSQL backup retention in days (daily backups, point-in-time restore within this window).')
param postgresBackupRetentionDays int = 14

@allowed([
  'Enabled'
  'Disabled'
])
@description('Geo-redundant PostgreSQL backups (restore into the paired region after a regional outage).')
param postgresGeoRedundantBackup string = 'Enabled'

@minValue(1)
@maxValue(1000)
@description('Flex Consumption scale-out limit.')
param maximumInstanceCount int = 40

var values = loadJsonContent('values.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${values.names.identity}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${values.names.logAnalytics}${resourceToken}'
    appInsightsName: '${values.names.appInsights}${resourceToken}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${values.names.storage}${resourceToken}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: '${values.names.serviceBus}${resourceToken}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${values.names.keyVault}${resourceToken}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    adminPrincipalId: principalId
    adminPrincipalType: principalType
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    name: '${values.names.postgres}${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    identityPrincipalId: identity.outputs.principalId
    backupRetentionDays: postgresBackupRetentionDays
    geoRedundantBackup: postgresGeoRedundantBackup
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    planName: '${values.names.plan}${resourceToken}'
    name: '${values.names.functionApp}${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    serviceBusName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    postgresHost: postgres.outputs.fullyQualifiedDomainName
    maximumInstanceCount: maximumInstanceCount
    extraAppSettings: union(
      {
        OPERATOR_TENANT_ID: tenant().tenantId
      },
      empty(entraClientId)
        ? {}
        : {
            ENTRA_CLIENT_ID: entraClientId
            ENTRA_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${values.keyVault.secrets.entraClientSecret}/)'
          },
      empty(mailFromUser) ? {} : { MAIL_FROM_USER: mailFromUser },
      stripe == 'on'
        ? {
            STRIPE_SECRET_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${values.keyVault.secrets.stripeSecretKey}/)'
            STRIPE_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${values.keyVault.secrets.stripeWebhookSecret}/)'
          }
        : {}
    )
  }
}

// Outputs become azd environment values (no secrets: names, endpoints and ids only).
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_POSTGRES_HOST string = postgres.outputs.fullyQualifiedDomainName
output AZURE_POSTGRES_ADMIN string = identity.outputs.name
output AZURE_SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
