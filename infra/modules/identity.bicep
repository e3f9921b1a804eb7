// The user-assigned identity the function app runs as: storage, Service Bus, Key Vault,
// Application Insights and the PostgreSQL Entra admin role are all granted to it.
@description('Identity name.')
param name string

@description('Region.')
param location string

@description('Tags for every resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
