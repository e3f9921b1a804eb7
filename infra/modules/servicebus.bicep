// Service Bus namespace (Entra only) and the function app's queues. Every message id is the
// sender's dedupe key, so duplicate detection drops a resend inside the window; failures
// dead-letter after maxDeliveryCount; expired messages dead-letter too (nothing lost silently).
@description('Namespace name.')
param name string

@description('Region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Principal id of the app identity (receives the triggers, sends follow-up messages).')
param identityPrincipalId string

var values = loadJsonContent('../values.json')
var dataRoles = [
  values.roles.serviceBusDataReceiver
  values.roles.serviceBusDataSender
]

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: values.serviceBus.skuName
    tier: values.serviceBus.skuName
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = [
  for queue in values.serviceBus.queues: {
    parent: namespace
    name: queue.name
    properties: {
      lockDuration: queue.lockDuration
      maxDeliveryCount: queue.maxDeliveryCount
      defaultMessageTimeToLive: queue.defaultMessageTimeToLive
      deadLetteringOnMessageExpiration: queue.deadLetteringOnMessageExpiration
      requiresDuplicateDetection: queue.requiresDuplicateDetection
      duplicateDetectionHistoryTimeWindow: queue.duplicateDetectionHistoryTimeWindow
      requiresSession: false
    }
  }
]

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in dataRoles: {
    name: guid(namespace.id, identityPrincipalId, role)
    scope: namespace
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

output name string = namespace.name
// host of https://<ns>.servicebus.windows.net:443/ without hard-coding the cloud's suffix
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
