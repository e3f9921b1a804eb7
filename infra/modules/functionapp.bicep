// Flex Consumption plan and the custom-handler function app (runtime custom 1.0), running as
// the user-assigned identity. Identity-based connections only; no Flex-forbidden settings
// (FUNCTIONS_WORKER_RUNTIME and friends are replaced by functionAppConfig). App settings are
// a child resource so PUBLIC_BASE_URL can use the site's own host name.
@description('Flex Consumption plan name.')
param planName string

@description('Function app name.')
param name string

@description('Region.')
param location string

@description('Tags for every resource; the site also gets azd-service-name.')
param tags object

@description('Name of the user-assigned identity the app runs as.')
param identityName string

@description('Storage account for the host, deployments and blobs.')
param storageAccountName string

@description('Service Bus namespace name.')
param serviceBusName string

@description('Key Vault name (Key Vault references).')
param keyVaultName string

@description('Application Insights component name.')
param appInsightsName string

@description('PostgreSQL server host name.')
param postgresHost string

@minValue(1)
@maxValue(1000)
@description('Flex Consumption scale-out limit.')
param maximumInstanceCount int

@description('App settings added to the common ones (sign-in, billing, mail).')
param extraAppSettings object

var values = loadJsonContent('../values.json')

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2026-01-01' existing = {
  name: serviceBusName
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var serviceBusHost = split(replace(serviceBus.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
var postgresIdentityDsn = 'host=${postgresHost} port=5432 dbname=${values.postgres.databaseName} user=${identity.name} sslmode=require'

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': values.serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${values.functionApp.deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: values.functionApp.instanceMemoryMB
        alwaysReady: [
          {
            name: 'http'
            instanceCount: values.functionApp.alwaysReadyHttp
          }
        ]
        triggers: {
          http: {
            perInstanceConcurrency: values.functionApp.httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: values.functionApp.runtimeName
        version: values.functionApp.runtimeVersion
      }
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(
    {
      AzureWebJobsStorage__accountName: storage.name
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identity.properties.clientId
      '${values.serviceBus.connectionPrefix}__fullyQualifiedNamespace': serviceBusHost
      '${values.serviceBus.connectionPrefix}__credential': 'managedidentity'
      '${values.serviceBus.connectionPrefix}__clientId': identity.properties.clientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
      AZURE_CLIENT_ID: identity.properties.clientId
      AZURE_STORAGE_BLOB_URL: storage.properties.primaryEndpoints.blob
      AZURE_STORAGE_CONTAINER: values.storage.blobContainer
      AZURE_STORAGE_TABLE_URL: storage.properties.primaryEndpoints.table
      QUEUE_BACKEND: 'servicebus'
      SERVICEBUS_NAMESPACE: serviceBusHost
      DATABASE_AUTH: 'entra'
      DATABASE_URL: '${postgresIdentityDsn} options=\'-c role=${values.postgres.runtimeRole}\''
      MIGRATIONS_DATABASE_URL: postgresIdentityDsn
      MIGRATE_ON_START: 'true'
      PUBLIC_BASE_URL: 'https://${site.properties.defaultHostName}'
      SESSION_KEYS: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${values.keyVault.secrets.sessionKeys}/)'
      LOG_LEVEL: 'info'
    },
    extraAppSettings
  )
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostName}'
