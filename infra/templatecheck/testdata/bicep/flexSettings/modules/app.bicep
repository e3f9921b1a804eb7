param location string
param principalId string
param serviceName string

@secure()
param adminSecret string

@minValue(7)
param backupRetentionDays int = 7
param geoRedundantBackup string = 'Disabled'

var values = loadJsonContent('../values.json')

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: 'plan'
  location: location
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: 'site'
  location: location
  tags: {
    'azd-service-name': values.serviceName
  }
  properties: {
    serverFarmId: plan.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: 'container'
        }
      }
      runtime: {
        name: values.functionApp.runtimeName
        version: values.functionApp.runtimeVersion
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    SECRET: adminSecret
    SERVICE: serviceName
    FUNCTIONS_EXTENSION_VERSION: '~4'
  }
}

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' existing = {
  name: 'ns'
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = [
  for queue in values.serviceBus.queues: {
    parent: namespace
    name: queue.name
    properties: {
      lockDuration: queue.lockDuration
      maxDeliveryCount: queue.maxDeliveryCount
      deadLetteringOnMessageExpiration: queue.deadLetteringOnMessageExpiration
      requiresDuplicateDetection: queue.requiresDuplicateDetection
      duplicateDetectionHistoryTimeWindow: queue.duplicateDetectionHistoryTimeWindow
    }
  }
]

resource role 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(principalId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', values.roles.receiver)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: 'pg'
  location: location
  properties: {
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup
    }
  }
}

resource admin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2025-08-01' = {
  parent: server
  name: principalId
  properties: {
    principalType: 'ServicePrincipal'
  }
}

output name string = site.name
