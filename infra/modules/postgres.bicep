// PostgreSQL Flexible Server, Microsoft Entra authentication only. The app identity is the
// Entra admin, so `handler migrate up` creates minutes_owner's objects and the minutes_app role
// without a password anywhere. Daily automated backups are kept backupRetentionDays days;
// geo-redundant backup restores into the paired region (disaster recovery for managed SaaS).
@description('Server name.')
param name string

@description('Region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Name of the app identity (its PostgreSQL role name).')
param identityName string

@description('Principal (object) id of the app identity.')
param identityPrincipalId string

@minValue(7)
@maxValue(35)
@description('Backup retention in days.')
param backupRetentionDays int

@allowed([
  'Enabled'
  'Disabled'
])
@description('Geo-redundant backups (fixed at server creation).')
param geoRedundantBackup string

var values = loadJsonContent('../values.json')

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: values.postgres.skuName
    tier: values.postgres.skuTier
  }
  properties: {
    version: values.postgres.version
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: subscription().tenantId
    }
    storage: {
      storageSizeGB: values.postgres.storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource admin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2025-08-01' = {
  parent: server
  name: identityPrincipalId
  properties: {
    principalName: identityName
    principalType: 'ServicePrincipal'
    tenantId: subscription().tenantId
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2025-08-01' = {
  parent: server
  name: values.postgres.databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// 0.0.0.0-0.0.0.0 admits Azure services only (the Flex app has no fixed outbound address).
resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2025-08-01' = {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

output name string = server.name
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName
