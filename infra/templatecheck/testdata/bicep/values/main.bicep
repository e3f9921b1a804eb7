targetScope = 'subscription'

param environmentName string
param location string
param principalId string = ''

@secure()
param adminSecret string

var values = loadJsonContent('values.json')

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
}

module app 'modules/app.bicep' = {
  name: 'app'
  scope: rg
  params: {
    location: location
    principalId: principalId
    adminSecret: adminSecret
    serviceName: values.serviceName
  }
}

output APP_NAME string = app.outputs.name
