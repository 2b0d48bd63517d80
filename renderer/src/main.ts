import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './components/App.vue';
import { pickLab, setLab } from './api/lab';
import './style.css';

setLab(pickLab(window));
createApp(App).use(createPinia()).mount('#app');
