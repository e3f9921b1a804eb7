// Key Vault with RBAC authorisation. The app reads secrets through Key Vault references;
// the principal running azd may write them (infra/scripts/postprovision.sh).
@description('Vault name (3-24 characters).')
param name string

@description('Region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Principal id of the app identity (Key Vault Secrets User).')
param identityPrincipalId string

@description('Object id allowed to manage secrets (Key Vault Secrets Officer); empty for none.')
param adminPrincipalId string

@description('Kind of adminPrincipalId.')
param adminPrincipalType string

var values = loadJsonContent('../values.json')

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityPrincipalId, values.roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', values.roles.keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(adminPrincipalId)) {
  name: guid(vault.id, adminPrincipalId, values.roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', values.roles.keyVaultSecretsOfficer)
    principalId: adminPrincipalId
    principalType: adminPrincipalType
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
