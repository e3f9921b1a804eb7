package templatecheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// CreateUIDefSchema is the only $schema arm-ttk accepts (case-sensitive).
const CreateUIDefSchema = "https://schema.management.azure.com/schemas/0.1.2-preview/CreateUIDefinition.MultiVm.json#"

// managedAppOutputs may appear in outputs without a template parameter: the managed
// application machinery consumes them.
var managedAppOutputs = map[string]bool{
	"applicationresourcename": true,
	"jitaccesspolicy":         true,
	"managedidentity":         true,
	"managedresourcegroupid":  true,
}

// inputTypes are the element types arm-ttk wants a toolTip on.
var inputTypes = map[string]bool{
	"Microsoft.Common.TextBox":       true,
	"Microsoft.Common.PasswordBox":   true,
	"Microsoft.Common.DropDown":      true,
	"Microsoft.Common.OptionsGroup":  true,
	"Microsoft.Common.CheckBox":      true,
	"Microsoft.Common.Slider":        true,
	"Microsoft.Common.MultiLineText": true,
}

// CheckCreateUIDef checks createUiDefinition.json (raw) against the template it feeds
// (templateRaw): arm-ttk's CreateUIDefinition rules.
func CheckCreateUIDef(file string, raw, templateRaw []byte) []Problem {
	ps := &problems{file: file}
	var ui, tmpl map[string]any
	if err := json.Unmarshal(raw, &ui); err != nil {
		ps.add("json", "%v", err)
		return ps.list
	}
	if err := json.Unmarshal(templateRaw, &tmpl); err != nil {
		ps.add("json", "template: %v", err)
		return ps.list
	}
	if ui["$schema"] != CreateUIDefSchema {
		ps.add("uiSchema", "$schema is %v, want %s", ui["$schema"], CreateUIDefSchema)
	}
	if h := ui["handler"]; h != "Microsoft.Azure.CreateUIDef" && h != "Microsoft.Compute.MultiVm" {
		ps.add("uiHandler", "handler is %v, want Microsoft.Azure.CreateUIDef", h)
	}
	if v, _ := ui["version"].(string); v != "0.1.2-preview" || !strings.Contains(CreateUIDefSchema, "/"+v+"/") {
		ps.add("uiVersion", "version is %v, want 0.1.2-preview (the schema's version)", ui["version"])
	}
	params, _ := ui["parameters"].(map[string]any)
	outputs, _ := params["outputs"].(map[string]any)
	if outputs["location"] != "[location()]" {
		ps.add("uiLocation", "outputs.location is %v, want [location()]", outputs["location"])
	}

	tparams, _ := tmpl["parameters"].(map[string]any)
	for _, name := range sortedKeys(outputs) {
		if _, ok := tparams[name]; !ok && !managedAppOutputs[strings.ToLower(name)] {
			ps.add("uiOutputs", "output %s is not a parameter of the template", name)
		}
	}
	for _, name := range sortedKeys(tparams) {
		p, _ := tparams[name].(map[string]any)
		if _, hasDefault := p["defaultValue"]; !hasDefault {
			if _, ok := outputs[name]; !ok {
				ps.add("uiOutputs", "template parameter %s has no default and no output", name)
			}
		}
	}

	// elements by basics('x') / steps('s').x
	elements := map[string]map[string]any{}
	var visit func(prefix string, list []any)
	visit = func(prefix string, list []any) {
		for _, e := range list {
			el, ok := e.(map[string]any)
			if !ok {
				continue
			}
			name, _ := el["name"].(string)
			elements[prefix+name] = el
			if sub, ok := el["elements"].([]any); ok {
				visit(prefix+name+".", sub)
			}
			checkElement(ps, prefix+name, el)
		}
	}
	basics, _ := params["basics"].([]any)
	visit("basics:", basics)
	steps, _ := params["steps"].([]any)
	for _, s := range steps {
		step, _ := s.(map[string]any)
		sub, _ := step["elements"].([]any)
		visit(fmt.Sprintf("steps:%v.", step["name"]), sub)
	}
	refRE := regexp.MustCompile(`basics\('(\w+)'\)((?:\.\w+)*)|steps\('(\w+)'\)((?:\.\w+)+)`)
	for _, name := range sortedKeys(outputs) {
		s, _ := outputs[name].(string)
		for _, m := range refRE.FindAllStringSubmatch(s, -1) {
			key := "basics:" + m[1]
			if m[3] != "" {
				key = "steps:" + m[3] + "." + strings.SplitN(strings.TrimPrefix(m[4], "."), ".", 2)[0]
			}
			if _, ok := elements[key]; !ok {
				ps.add("uiOutputs", "output %s refers to %s, which is no element", name, m[0])
			}
		}
	}
	return ps.list
}

func checkElement(ps *problems, name string, el map[string]any) {
	typ, _ := el["type"].(string)
	if inputTypes[typ] {
		if tip, _ := el["toolTip"].(string); strings.TrimSpace(tip) == "" {
			ps.add("uiToolTips", "element %s (%s) has no toolTip", name, typ)
		}
	}
	constraints, _ := el["constraints"].(map[string]any)
	switch typ {
	case "Microsoft.Common.TextBox", "Microsoft.Common.PasswordBox":
		regex, _ := constraints["regex"].(string)
		msg, _ := constraints["validationMessage"].(string)
		vals, _ := constraints["validations"].([]any)
		if (regex == "" || msg == "") && len(vals) == 0 {
			ps.add("uiTextBoxes", "element %s (%s) has no constraints.regex with a validationMessage", name, typ)
		}
		if regex != "" {
			if _, err := regexp.Compile(regex); err != nil {
				ps.add("uiTextBoxes", "element %s: regex does not compile: %v", name, err)
			}
		}
	}
	if vals, ok := constraints["validations"].([]any); ok {
		for _, v := range vals {
			if m, _ := v.(map[string]any); m["message"] == nil || m["message"] == "" {
				ps.add("uiValidations", "element %s: a validation has no message", name)
			}
		}
	}
}
